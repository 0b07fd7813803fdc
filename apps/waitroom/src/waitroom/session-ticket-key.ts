import { Injectable, type OnModuleInit } from '@nestjs/common';
import { useSessionTicketKey } from './session-ticket';
import { WaitroomRepository } from './waitroom.repository';

/**
 * Loads the secret that signs session tickets before the service answers anything. It lives in
 * Redis (created by whichever instance starts first), so every instance signs and verifies
 * with the same one without any configuration, and it survives restarts with the data it
 * protects (AOF). If it is ever lost, old tickets stop verifying and their polls take the
 * slow path: nothing breaks.
 */
@Injectable()
export class SessionTicketKey implements OnModuleInit {
  constructor(private readonly repository: WaitroomRepository) {}

  async onModuleInit(): Promise<void> {
    useSessionTicketKey(await this.repository.sessionTicketKey());
  }
}
