import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { HarbourConfig } from './config.js';
import type { KeyMaterial } from './key-material.js';

/** Injection tokens: config and keys are plain objects built once at boot, not classes. */
export const HARBOUR_CONFIG = Symbol('HARBOUR_CONFIG');
export const KEY_MATERIAL = Symbol('KEY_MATERIAL');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: HarbourConfig, keys: KeyMaterial): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: HARBOUR_CONFIG, useValue: config },
        { provide: KEY_MATERIAL, useValue: keys },
      ],
      exports: [HARBOUR_CONFIG, KEY_MATERIAL],
    };
  }
}
