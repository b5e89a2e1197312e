import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'admin:public-route';

/**
 * Opts a route out of the admin token check (e.g. the dashboard's HTML shell, which a
 * browser loads before it has a token to send). Everything else is protected by default.
 */
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
