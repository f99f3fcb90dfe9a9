// Routes: one URL per view (history API; the server answers index.html for every non-API path).
import { useEffect } from 'react';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/States.tsx';
import { SessionProvider, useSession } from './session.tsx';
import { ApplicationsView } from './views/Applications.tsx';
import { ApplicationView } from './views/Application.tsx';
import { ChangeRequestView } from './views/ChangeRequest.tsx';
import { ChangeRequestsView } from './views/ChangeRequests.tsx';
import { ImagesView } from './views/Images.tsx';
import { LoginView } from './views/Login.tsx';
import { NotFoundView } from './views/Misc.tsx';
import { PipelineRunView } from './views/PipelineRun.tsx';
import { PipelinesView } from './views/Pipelines.tsx';
import { PoliciesView } from './views/Policies.tsx';
import { TokensView } from './views/Tokens.tsx';
import { closeAppEvents } from './hooks.ts';

function Routes() {
  const { session, loading } = useSession();
  const [location] = useLocation();
  useEffect(() => {
    if (!session) closeAppEvents();
  }, [session]);
  if (loading)
    return (
      <main id="main" className="center">
        <Loading what="session" />
      </main>
    );
  if (!session) {
    if (location !== '/login') return <Redirect to={`/login?next=${encodeURIComponent(location)}`} replace />;
    return <LoginView />;
  }
  return (
    <Layout>
      <Switch>
        <Route path="/login">
          <Redirect to="/applications" replace />
        </Route>
        <Route path="/">
          <Redirect to="/applications" replace />
        </Route>
        <Route path="/applications" component={ApplicationsView} />
        <Route path="/applications/:namespace/:name/:tab?" component={ApplicationView} />
        <Route path="/policies/:tab?" component={PoliciesView} />
        <Route path="/images" component={ImagesView} />
        <Route path="/images/:repo/:ref?" component={ImagesView} />
        <Route path="/pipelines" component={PipelinesView} />
        <Route path="/pipelines/:name/:step?" component={PipelineRunView} />
        <Route path="/changes" component={ChangeRequestsView} />
        <Route path="/changes/:name" component={ChangeRequestView} />
        <Route path="/tokens" component={TokensView} />
        <Route component={NotFoundView} />
      </Switch>
    </Layout>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Routes />
    </SessionProvider>
  );
}
