/** The TestClock helpers live in the shipped test kit (`openagents/testing`); this path is kept for older imports. */
export * from "../../src/testing/Timing.js"
