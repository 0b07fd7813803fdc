import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from '@waitroom/contracts';
import { DomainError } from './domain-errors';

/**
 * Every HTTP body and parameter is validated: unknown fields, wrong types (no implicit
 * conversion: "1" is not a number) and out-of-range values are a 400 listing every reason.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) =>
      new DomainError('VALIDATION_FAILED', 'the request is invalid', flattenValidationErrors(errors)),
  });
}

/** One reason per ajv error, naming the field as the class-validator messages do. */
export function describeSchemaErrors(
  errors: { instancePath?: string; keyword: string; message?: string; params?: Record<string, unknown> }[],
): string[] {
  return errors.map((error) => {
    const field = (error.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (error.keyword === 'additionalProperties')
      return `property ${String(error.params?.additionalProperty)} should not exist`;
    if (error.keyword === 'required') return `${String(error.params?.missingProperty)} is required`;
    return field ? `${field} ${error.message ?? 'is invalid'}` : `body ${error.message ?? 'is invalid'}`;
  });
}
