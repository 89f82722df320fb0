export * from './entities/person.entity.js';
export * from './entities/opt-out.entity.js';
export * from './entities/study-consent.entity.js';
import { Person } from './entities/person.entity.js';
import { OptOut, OptOutList } from './entities/opt-out.entity.js';
import { StudyConsent } from './entities/study-consent.entity.js';
export const CONSENT_ENTITIES = [Person, OptOutList, OptOut, StudyConsent];
