export const x: number = 42;
