/**
 * The entry point Pulumi runs (package.json's main; Pulumi.yaml sets
 * `typescript: false`): the compiled program in bin/, brought up to date with
 * its sources first, so that `pulumi up` stays one command and never deploys
 * stale code. Why compiled: scripts/build.js.
 */
"use strict";
require("./scripts/build").buildIfStale();
module.exports = require("./bin/index.js");
