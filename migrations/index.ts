import { Schemas1795431226962 } from './1795431226962-schemas.js';
import { Identity1795431228202 } from './1795431228202-identity.js';
import { VaultConsentIngestionResearch1795431689478 } from './1795431689478-vault-consent-ingestion-research.js';
import { Ledger1795432143733 } from './1795432143733-ledger.js';
import { IdentityAudit1795432380690 } from './1795432380690-identity-audit.js';
import { QueryReleases1795432425642 } from './1795432425642-query-releases.js';
import { QueryResearchIndexes1795432947502 } from './1795432947502-query-research-indexes.js';
import { Imaging1795433387907 } from './1795433387907-imaging.js';
import { AccessAndUploads1795434066884 } from './1795434066884-access-and-uploads.js';
import { Compute1795434890297 } from './1795434890297-compute.js';
import { ComplianceHistory1795434980024 } from './1795434980024-compliance-history.js';
import { ComputeJobMembers1795436461750 } from './1795436461750-compute-job-members.js';
import { AuditPendingSeal1795439436702 } from './1795439436702-audit-pending-seal.js';
import { DropRedundantEventIndex1795442380481 } from './1795442380481-drop-redundant-event-index.js';

/** Every migration, in order. The generator appends new ones here. */
export const MIGRATIONS = [
  Schemas1795431226962,
  Identity1795431228202,
  VaultConsentIngestionResearch1795431689478,
  Ledger1795432143733,
  IdentityAudit1795432380690,
  QueryReleases1795432425642,
  QueryResearchIndexes1795432947502,
  Imaging1795433387907,
  AccessAndUploads1795434066884,
  Compute1795434890297,
  ComplianceHistory1795434980024,
  ComputeJobMembers1795436461750,
  AuditPendingSeal1795439436702,
  DropRedundantEventIndex1795442380481,
];
