// Runs the CLI from source (for tests that need a real process: kill, signals).
import { main } from '../../src/cli/index.js';

process.exitCode = await main(process.argv);
