/**
 * Positional parameters for one statement. Every value a user supplied (codes, systems, numbers,
 * dates, ids) goes through `bind`, which returns a placeholder such as `$3::text[]`; the cast comes
 * from this fixed list, never from input. SQL text is assembled only from constants and placeholders.
 */
export type PgCast = 'uuid' | 'uuid[]' | 'text' | 'text[]' | 'int' | 'float8' | 'date';

export class SqlParams {
  private readonly bound: unknown[] = [];

  bind(value: unknown, cast: PgCast): string {
    this.bound.push(value);
    return `$${this.bound.length}::${cast}`;
  }

  get values(): readonly unknown[] {
    return this.bound;
  }
}
