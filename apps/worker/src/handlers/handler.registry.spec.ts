import { Injectable, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ConfigModule, loadConfig } from '@spillway/config';
import { EventHandler, HandlesEvents } from './event-handler';
import { HandlerRegistry } from './handler.registry';

@Injectable()
@HandlesEvents('order.created')
class OrderHandler implements EventHandler {
  async handle() {}
}
@Injectable()
@HandlesEvents('order.created')
class OtherOrderHandler implements EventHandler {
  async handle() {}
}
@Injectable()
@HandlesEvents('billing.*')
class BillingHandler implements EventHandler {
  async handle() {}
}
@Injectable()
@HandlesEvents('*')
class CatchAll implements EventHandler {
  async handle() {}
}

async function registry(handlers: Type[], routes = ''): Promise<HandlerRegistry> {
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(loadConfig({ LANE_ROUTES: routes })), DiscoveryModule],
    providers: [...handlers, HandlerRegistry],
  }).compile();
  await moduleRef.init();
  return moduleRef.get(HandlerRegistry);
}

describe('HandlerRegistry', () => {
  it('resolves exact, then prefix, then catch-all', async () => {
    const r = await registry([OrderHandler, BillingHandler, CatchAll]);
    expect(r.resolve('order.created')).toBeInstanceOf(OrderHandler);
    expect(r.resolve('billing.refund')).toBeInstanceOf(BillingHandler);
    expect(r.resolve('anything')).toBeInstanceOf(CatchAll);
  });

  it('refuses to start when one type has two handlers', async () => {
    await expect(registry([OrderHandler, OtherOrderHandler])).rejects.toThrow(
      'event type "order.created" is handled by both OrderHandler and OtherOrderHandler',
    );
  });

  it('refuses to start when a routed type has no handler', async () => {
    await expect(registry([OrderHandler], 'payment.captured=critical')).rejects.toThrow(
      'event type "payment.captured" is routed to lane critical (LANE_ROUTES) but no handler handles it',
    );
  });

  it('starts when every routed type has exactly one handler', async () => {
    const r = await registry([OrderHandler, BillingHandler], 'order.created=critical,billing.*=low');
    expect(r.resolve('billing.x')).toBeInstanceOf(BillingHandler);
    expect(r.resolve('unrouted.type')).toBeUndefined();
  });
});
