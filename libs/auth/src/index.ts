export * from './entities/trust.entity.js';
export * from './entities/partner.entity.js';
export * from './authz/permissions.js';
export * from './authz/auth.guard.js';
import { Trust } from './entities/trust.entity.js';
import { Partner } from './entities/partner.entity.js';

/** Entities of the identity context, registered with the data source. */
export const IDENTITY_ENTITIES = [Trust, Partner];
