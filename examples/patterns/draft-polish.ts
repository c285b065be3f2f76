/**
 * A custom pattern: a draft, then a polished version of it. Written with Resumable steps, so a durable run
 * killed between the two goes on with the polishing when it is resumed.
 *
 * In your project, import from "openagents" instead of the sources.
 */
import { Effect } from "effect"
import { Pattern, Resumable } from "../../src/index.js"

export const draftThenPolish = Pattern.Pattern.of({
  name: "draft-then-polish",
  execute: (run) =>
    Effect.gen(function*() {
      const steps = yield* Resumable.make(run)
      const draft = yield* steps.act()
      yield* run.setMetadata("draft", draft.text)
      yield* steps.say("Polish your draft: same content, clear sentences.")
      return (yield* steps.act()).text
    })
})
