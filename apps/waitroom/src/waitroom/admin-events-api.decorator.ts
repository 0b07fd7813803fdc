import { applyDecorators, Controller, UseGuards } from '@nestjs/common';
import { ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AdminApiKeyGuard } from '../http/api-key';
import { API_KEY_SCHEME } from '../http/openapi';

/**
 * A controller of the admin API, /api/v1/waitroom/admin/events: every route needs an admin key in
 * `x-api-key` (AdminApiKeyGuard; a viewer key only for GETs), and the OpenAPI document lists its operations under `admin`,
 * with that security and the 401.
 */
export const AdminEventsApi = () =>
  applyDecorators(
    ApiTags('admin'),
    ApiSecurity(API_KEY_SCHEME),
    ApiResponse({ status: 401, description: 'missing or wrong x-api-key' }),
    ApiResponse({
      status: 403,
      description: 'FORBIDDEN: a viewer key (ADMIN_VIEWER_KEYS) asked for a change',
    }),
    UseGuards(AdminApiKeyGuard),
    Controller('api/v1/waitroom/admin/events'),
  );
