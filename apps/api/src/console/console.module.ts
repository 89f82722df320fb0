import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller.js';

/** Serves the built web console (apps/console/dist) at /console, same origin as the API. */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
