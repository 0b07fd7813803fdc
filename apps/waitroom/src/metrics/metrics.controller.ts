import { ApiExcludeController } from '@nestjs/swagger';
import { prometheusScrapeController } from '@waitroom/service-kit';
import { MetricsService } from './metrics.service';

/**
 * Prometheus scrape endpoint, outside the API prefix (the deploy annotations point at /metrics)
 * and outside the OpenAPI document: it is for the monitoring system, not for API clients.
 */
@ApiExcludeController()
export class MetricsController extends prometheusScrapeController(MetricsService) {}
