import { Module } from '@nestjs/common';
import { BotCheckService } from './bot-check.service';

/** The proof of work a bot-checked event asks of a join (ALTCHA challenges and their verdicts). */
@Module({ providers: [BotCheckService], exports: [BotCheckService] })
export class BotCheckModule {}
