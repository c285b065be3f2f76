/**
 * A mock model that records every request it is given, so a test can assert on the system prompt and
 * messages the model received.
 */
import { Effect, Layer } from "effect"
import type { ModelRequest } from "../../src/kernel/Transcript.js"
import { LanguageModel } from "../../src/llm/LanguageModel.js"
import * as MockModel from "../../src/llm/MockModel.js"

export const recordingModel = (
  requests: Array<ModelRequest>,
  options?: MockModel.Options
): Layer.Layer<LanguageModel> =>
  Layer.effect(
    LanguageModel,
    Effect.map(LanguageModel, (model) => ({
      ...model,
      // `streamTo` is not enumerable: the run loop falls back to this `stream`
      stream: (request: ModelRequest) => {
        requests.push(request)
        return model.stream(request)
      },
      generate: (request: ModelRequest) => {
        requests.push(request)
        return model.generate(request)
      }
    }))
  ).pipe(Layer.provide(MockModel.layer(options)))
