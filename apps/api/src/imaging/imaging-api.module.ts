import { Module } from '@nestjs/common';
import { OBJECT_STORE } from '@harbour/runtime';
import { ImagingModule } from '@harbour/imaging';
import { StowController } from './stow.controller.js';
import { DicomwebController } from './dicomweb.controller.js';
import { QuarantineController } from './quarantine.controller.js';

/** HTTP delivery of the imaging context: STOW-RS, QIDO-RS/WADO-RS per project, quarantine review. */
@Module({
  imports: [ImagingModule.register(OBJECT_STORE)],
  controllers: [StowController, DicomwebController, QuarantineController],
})
export class ImagingApiModule {}
