/** The conformance suite against a real 3X-UI v2.9.4 panel (see conformance-suite.ts); ports 19150-19189. */
import { describeConformance } from './conformance-suite';

describeConformance('v2', 19150);
