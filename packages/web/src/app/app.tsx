import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Switch, useLocation } from 'wouter';
import { Loading } from '../components/ui.tsx';
import { AuthPage } from '../features/auth/auth-page.tsx';
import { HomePage } from '../features/home/home-page.tsx';
import { LiveRoomPage } from '../features/lives/live-room-page.tsx';
import { OrderPage } from '../features/orders/order-page.tsx';
import { OrdersPage } from '../features/orders/orders-page.tsx';
import { SandboxPayPage } from '../features/payments/sandbox-pay-page.tsx';
import { ProductPage } from '../features/products/product-page.tsx';
import { ShopPage } from '../features/shops/shop-page.tsx';
import { AppHeader } from './app-header.tsx';
import { SessionProvider } from './session.tsx';

// Sellers' pages are a separate download: buyers on mobile data never fetch them.
const StudioPage = lazy(() =>
  import('../features/studio/studio-page.tsx').then((m) => ({ default: m.StudioPage })),
);
const LiveControlPage = lazy(() =>
  import('../features/studio/live-control-page.tsx').then((m) => ({ default: m.LiveControlPage })),
);
const BoardPage = lazy(() =>
  import('../features/fulfilment/board-page.tsx').then((m) => ({ default: m.BoardPage })),
);
const IntegrationsPage = lazy(() =>
  import('../features/integrations/integrations-page.tsx').then((m) => ({
    default: m.IntegrationsPage,
  })),
);
// The township hub's desk: only operators ever load it.
const HubPage = lazy(() =>
  import('../features/fulfilment/hub-page.tsx').then((m) => ({ default: m.HubPage })),
);

function NotFound() {
  const { t } = useTranslation();
  return (
    <main className="page">
      <h1>{t('notFound.title')}</h1>
      <p>
        <Link href="/">{t('notFound.home')}</Link>
      </p>
    </main>
  );
}

function Shell() {
  const [location] = useLocation();
  // The live room is full screen, like a phone app: no site header over the video.
  const fullScreen = /^\/lives\/[^/]+\/?$/.test(location);
  return (
    <>
      {!fullScreen && <AppHeader />}
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/" component={HomePage} />
          <Route path="/signin">{() => <AuthPage mode="signin" />}</Route>
          <Route path="/signup">{() => <AuthPage mode="signup" />}</Route>
          <Route path="/shops/:id">{(p) => <ShopPage id={p.id} />}</Route>
          <Route path="/products/:id">{(p) => <ProductPage id={p.id} />}</Route>
          <Route path="/lives/:id">{(p) => <LiveRoomPage id={p.id} />}</Route>
          <Route path="/orders" component={OrdersPage} />
          <Route path="/orders/:id">{(p) => <OrderPage id={p.id} />}</Route>
          <Route path="/pay/sandbox/:id">{(p) => <SandboxPayPage id={p.id} />}</Route>
          <Route path="/studio" component={StudioPage} />
          <Route path="/studio/lives/:id">{(p) => <LiveControlPage id={p.id} />}</Route>
          <Route path="/studio/orders" component={BoardPage} />
          <Route path="/studio/integrations" component={IntegrationsPage} />
          <Route path="/hub" component={HubPage} />
          <Route component={NotFound} />
        </Switch>
      </Suspense>
    </>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}
