import { nestVitestConfig } from '../../tools/testing/vitest-preset';

export default nestVitestConfig(__dirname);
