import { Account } from './account.entity.js';
import { AccountBalance } from './account-balance.entity.js';
import { Agreement } from './agreement.entity.js';
import { AgreementTrust } from './agreement-trust.entity.js';
import { BillableEvent } from './billable-event.entity.js';
import { EventContribution } from './event-contribution.entity.js';
import { Journal } from './journal.entity.js';
import { JournalLine } from './journal-line.entity.js';
import { Period } from './period.entity.js';

export { Account, AccountBalance, Agreement, AgreementTrust, BillableEvent, EventContribution, Journal, JournalLine, Period };

/** Entities of the ledger context, registered with the data source. */
export const LEDGER_ENTITIES = [
  Agreement,
  AgreementTrust,
  Period,
  Account,
  BillableEvent,
  EventContribution,
  Journal,
  JournalLine,
  AccountBalance,
];
