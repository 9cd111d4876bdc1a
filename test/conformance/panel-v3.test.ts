/** The conformance suite against a real 3X-UI v3.6.0 panel (see conformance-suite.ts); ports 19110-19149. */
import { describeConformance } from './conformance-suite';

describeConformance('v3', 19110);
