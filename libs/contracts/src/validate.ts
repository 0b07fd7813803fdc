import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/**
 * Validates a parsed JSON value against one of the contract classes.
 * Unknown properties are allowed (and kept) because other teams may add fields.
 */
export function validateMessage<T extends object>(
  cls: ClassConstructor<T>,
  input: unknown,
): ValidationResult<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: ['message must be a JSON object'] };
  }
  const value = plainToInstance(cls, input);
  const errors = validateSync(value, { forbidUnknownValues: false });
  if (errors.length > 0) return { ok: false, errors: flattenValidationErrors(errors) };
  return { ok: true, value };
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      parent ? message.replace(error.property, path) : message,
    );
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}
