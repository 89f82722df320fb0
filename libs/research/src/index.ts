export * from './entities/research-patient.entity.js';
export * from './entities/research-event.entity.js';
export * from './research-projection.js';
export * from './research.repository.js';
import { ResearchPatient } from './entities/research-patient.entity.js';
import { ResearchEvent } from './entities/research-event.entity.js';
export const RESEARCH_ENTITIES = [ResearchPatient, ResearchEvent];
