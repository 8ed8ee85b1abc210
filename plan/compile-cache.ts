/**
 * Imported first by every command's entry point (and by the tests, through
 * .mocharc): Node.js keeps the compiled code of the modules a process loads
 * on disk (in the system's temporary directory) and reuses it the next time.
 * Loading the SDKs, and TypeScript (which the SDK loads to serialize the
 * migration gate's dynamic provider), is much of each command's start.
 */
import * as nodeModule from "module";

nodeModule.enableCompileCache();
