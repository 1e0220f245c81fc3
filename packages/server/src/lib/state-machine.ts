import { AppError } from '@cunbo/shared';

/** A state machine written as data: each state lists the states it may move to. */
export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

export function canTransition<S extends string>(table: Transitions<S>, from: S, to: S): boolean {
  return table[from].includes(to);
}

export function assertTransition<S extends string>(
  table: Transitions<S>,
  from: S,
  to: S,
  what: string,
): void {
  if (!canTransition(table, from, to)) {
    throw new AppError(
      'INVALID_TRANSITION',
      `This ${what} is ${from} and cannot become ${to}`,
      409,
      { from, to },
    );
  }
}
