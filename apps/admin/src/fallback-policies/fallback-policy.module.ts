import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FallbackPolicyEntity } from '@app/database';
import { FallbackPolicyController } from './fallback-policy.controller';
import { FALLBACK_POLICY_REPOSITORY, TypeOrmFallbackPolicyRepository } from './fallback-policy.repository';
import { FallbackPolicyService } from './fallback-policy.service';

@Module({
  imports: [TypeOrmModule.forFeature([FallbackPolicyEntity])],
  controllers: [FallbackPolicyController],
  providers: [FallbackPolicyService, { provide: FALLBACK_POLICY_REPOSITORY, useClass: TypeOrmFallbackPolicyRepository }],
})
export class FallbackPolicyModule {}
