// Construct ids derived from manifest names.

/** `appointments-book` → `AppointmentsBook`: a stable construct id (and logical id stem). */
export function constructId(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_match, _dash, c: string) => c.toUpperCase());
}
