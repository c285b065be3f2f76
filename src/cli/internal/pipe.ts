/**
 * A quiet end on a closed stdout, in a module of its own: the CLI's entry installs it before it loads
 * anything else.
 *
 * @since 0.2.0
 */

let pipeGuardInstalled = false

/**
 * Makes a closed stdout (`openagents ... | head -1`) end the process quietly with exit 0, and a closed
 * stderr harmless. Only for a real process: it calls `process.exit`.
 *
 * @since 0.2.0
 * @category terminal
 */
export const installPipeGuard = (): void => {
  if (pipeGuardInstalled) return
  pipeGuardInstalled = true
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    // The reader has gone: nothing printed later can be read, and it is not the run's failure
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") process.exit(0)
    throw error
  })
  process.stderr.on("error", () => {
    // Nowhere left to report to: swallow it rather than crash with the stack trace of a write
  })
}
