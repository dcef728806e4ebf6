// cdk app entry: `npx cdk synth -c kairos:env=dev` (see docs/infra.md).

import { App } from 'aws-cdk-lib';
import { buildKairos } from '../lib/app';
import { enableNag } from '../lib/nag';

const app = new App();
enableNag(app);
buildKairos(app);
app.synth();
