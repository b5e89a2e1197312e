import { Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ReadinessController } from '@app/database';
import { PublicRoute } from '../auth/public-route.decorator';

/** For orchestrators (compose healthchecks, load balancers): no token, nothing revealed. */
@ApiExcludeController()
@PublicRoute()
@Controller()
export class HealthController extends ReadinessController {}
