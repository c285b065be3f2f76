/**
 * openagents: an agent runtime for TypeScript on Effect 3.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Run from "./kernel/Run.js"
/** @since 0.1.0 */
export * as RunStreamChunk from "./kernel/RunStreamChunk.js"
/** @since 0.1.0 */
export * as RunContext from "./kernel/RunContext.js"
/** @since 0.1.0 */
export * as Errors from "./kernel/Errors.js"
/** @since 0.1.0 */
export * as EventTaxonomy from "./kernel/EventTaxonomy.js"
/** @since 0.1.0 */
export * as Transcript from "./kernel/Transcript.js"
/** @since 0.1.0 */
export * as Session from "./kernel/Session.js"
/** @since 0.3.0 */
export * as Approval from "./kernel/Approval.js"

/** @since 0.1.0 */
export * as LanguageModel from "./llm/LanguageModel.js"
/** @since 0.1.0 */
export * as MockModel from "./llm/MockModel.js"
/** @since 0.1.0 */
export * as AnthropicModel from "./llm/AnthropicModel.js"
/** @since 0.1.0 */
export * as OpenAiChatModel from "./llm/OpenAiChatModel.js"
/** @since 0.1.0 */
export * as OpenAiResponsesModel from "./llm/OpenAiResponsesModel.js"
/** @since 0.1.0 */
export * as Pricing from "./llm/Pricing.js"
/** @since 0.1.0 */
export * as ProviderRetry from "./llm/ProviderRetry.js"

/** @since 0.1.0 */
export * as Tool from "./tools/Tool.js"
/** @since 0.1.0 */
export * as Toolkit from "./tools/Toolkit.js"
/** @since 0.2.0 */
export * as SubAgent from "./tools/SubAgent.js"
/** @since 0.1.0 */
export * as ToolExecutor from "./tools/ToolExecutor.js"
/** @since 0.2.0 */
export * as RetryExecutor from "./tools/executors/RetryExecutor.js"
/** @since 0.2.0 */
export * as PolicyExecutor from "./tools/executors/PolicyExecutor.js"
/** @since 0.2.0 */
export * as HookExecutor from "./tools/executors/HookExecutor.js"
/** @since 0.1.0 */
export * as Builtin from "./tools/builtin/index.js"
/** @since 0.2.0 */
export * as Mcp from "./tools/mcp/Mcp.js"

/** @since 0.1.0 */
export * as Pattern from "./patterns/Pattern.js"
/** @since 0.1.0 */
export * as React from "./patterns/React.js"
/** @since 0.2.0 */
export * as PlanExecute from "./patterns/PlanExecute.js"
/** @since 0.2.0 */
export * as Reflexion from "./patterns/Reflexion.js"
/** @since 0.2.0 */
export * as Resumable from "./patterns/Resumable.js"
/** @since 0.1.0 */
export * as Memory from "./memory/Memory.js"
/** @since 0.1.0 */
export * as WindowBuffer from "./memory/WindowBuffer.js"
export * as Chain from "./memory/Chain.js"
export * as MarkdownMemory from "./memory/MarkdownMemory.js"
/** @since 0.1.0 */
export * as ContextAssembler from "./context/ContextAssembler.js"
export * as TokenBudget from "./context/TokenBudget.js"
/** @since 0.1.0 */
export * as SessionStore from "./sessions/SessionStore.js"
/** @since 0.1.0 */
export * as InMemorySessionStore from "./sessions/InMemorySessionStore.js"
/** @since 0.1.0 */
export * as JsonlSessionStore from "./sessions/JsonlSessionStore.js"
// SqliteSessionStore is exported from `openagents/sqlite` (src/sqlite.ts): its driver is an optional peer
/** @since 0.1.0 */
export * as EventBus from "./events/EventBus.js"
/** @since 0.4.0 */
export * as FileLogging from "./events/FileLogging.js"
/** @since 0.1.0 */
export * as Skills from "./skills/Skills.js"
export * as LocalSkills from "./skills/LocalSkills.js"

/** @since 0.1.0 */
export * as Agent from "./runtime/Agent.js"
/** @since 0.1.0 */
export * as AgentRuntime from "./runtime/AgentRuntime.js"
/** @since 0.1.0 */
export * as Client from "./client/Client.js"
/** @since 0.1.0 */
export { createRuntime } from "./client/Client.js"

/** @since 0.1.0 */
export * as AppConfig from "./config/AppConfig.js"
/** @since 0.1.0 */
export * as ConfigLoader from "./config/ConfigLoader.js"
/** @since 0.1.0 */
export * as Plugins from "./config/Plugins.js"
/** @since 0.2.0 */
export * as Registry from "./config/Registry.js"
/** @since 0.4.0 */
export * as TelemetryConfig from "./config/TelemetryConfig.js"
/** @since 0.4.0 */
export * as Telemetry from "./telemetry/Telemetry.js"

/** @since 0.3.0 */
export * as TraceStore from "./traces/TraceStore.js"
/** @since 0.3.0 */
export * as InMemoryTraceStore from "./traces/InMemoryTraceStore.js"
/** @since 0.3.0 */
export * as ExperienceStore from "./memory/ExperienceStore.js"
/** @since 0.3.0 */
export * as Experiences from "./memory/Experiences.js"
/** @since 0.3.0 */
export * as TracesConfig from "./config/TracesConfig.js"
