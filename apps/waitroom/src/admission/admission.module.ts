import { Module } from '@nestjs/common';
import { AdmissionRepository } from './admission.repository';
import { AdmissionScheduler } from './admission.scheduler';

@Module({ providers: [AdmissionRepository, AdmissionScheduler], exports: [AdmissionScheduler] })
export class AdmissionModule {}
