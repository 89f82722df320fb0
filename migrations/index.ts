import { Schemas1795431226962 } from './1795431226962-schemas.js';
import { Identity1795431228202 } from './1795431228202-identity.js';
import { VaultConsentIngestionResearch1795431689478 } from './1795431689478-vault-consent-ingestion-research.js';

/** Every migration, in order. The generator appends new ones here. */
export const MIGRATIONS = [Schemas1795431226962, Identity1795431228202, VaultConsentIngestionResearch1795431689478];
