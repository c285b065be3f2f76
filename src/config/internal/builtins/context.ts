/**
 * The builtin context assembler types of agent.json: one row each (description, config Schema, constructor).
 */
import * as ContextAssembler from "../../../context/ContextAssembler.js"
import * as TokenBudget from "../../../context/TokenBudget.js"
import { HeadTailConfig, NoConfig, TokenBudgetConfig, TruncatingConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

const budgetOf = (
  c: { readonly max_input_tokens: number; readonly reserve_for_response: number; readonly token_counter: "auto" | "tokenizer" | "estimate" },
  where: string
): TokenBudget.BudgetOptions => ({
  maxInputTokens: c.max_input_tokens,
  reserveForResponse: c.reserve_for_response,
  tokenCounter: c.token_counter,
  where
})

export const context = {
  passthrough: builtin({
    description: "Sends the whole transcript to the model unchanged.",
    config: NoConfig,
    make: () => ContextAssembler.layerPassthrough
  }),
  truncating: builtin({
    description: "Keeps the newest `max_messages` history messages (default 20), with a summary line of what was omitted.",
    config: TruncatingConfig,
    make: (c, { where }) =>
      TokenBudget.layerTruncating({
        maxMessages: c.max_messages,
        includeSummaryMessage: c.include_summary_message,
        maxInputTokens: c.max_input_tokens,
        reserveForResponse: c.reserve_for_response,
        tokenCounter: c.token_counter,
        where
      })
  }),
  sliding_window: builtin({
    description: "Keeps the newest history messages that fit `max_input_tokens - reserve_for_response` tokens.",
    config: TokenBudgetConfig,
    make: (c, { where }) => TokenBudget.layerSlidingWindow(budgetOf(c, where))
  }),
  head_tail: builtin({
    description: "Keeps the first `head_messages` history messages and the newest that fit the token budget.",
    config: HeadTailConfig,
    make: (c, { where }) => TokenBudget.layerHeadTail({ ...budgetOf(c, where), headMessages: c.head_messages })
  }),
  importance_weighted: builtin({
    description: "Keeps the most important history messages (system, tool, user, assistant; newer first) that fit the token budget.",
    config: TokenBudgetConfig,
    make: (c, { where }) => TokenBudget.layerImportanceWeighted(budgetOf(c, where))
  })
} as const satisfies Table<"context_assembler">
