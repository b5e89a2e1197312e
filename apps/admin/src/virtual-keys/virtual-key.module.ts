import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { VirtualKeyEntity } from '@app/database';
import { VirtualKeyController } from './virtual-key.controller';
import { TypeOrmVirtualKeyRepository, VIRTUAL_KEY_REPOSITORY } from './virtual-key.repository';
import { VirtualKeyService } from './virtual-key.service';

@Module({
  imports: [TypeOrmModule.forFeature([VirtualKeyEntity])],
  controllers: [VirtualKeyController],
  providers: [VirtualKeyService, { provide: VIRTUAL_KEY_REPOSITORY, useClass: TypeOrmVirtualKeyRepository }],
})
export class VirtualKeyModule {}
