/**
 * The Schemas of the `config` objects of the memory, context assembler and skills builtins added in 0.2.0
 * (`chain`, `markdown_memory`, the token-budget assemblers, `local` skills). Re-exported by
 * `BuiltinConfigs.ts`.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { NonEmptyString, NonNegativeInt, PositiveInt } from "./primitives.js"

// kept local: BuiltinConfigs.ts re-exports this module, so this one cannot import from it
const SectionName = Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9_-]{0,63}$/)).annotations({
  description: "a section name: lowercase letters, digits, '_' and '-' (it is also the file name)"
})

/**
 * A memory reference inside `chain`: exactly one of `type` (a builtin memory) or `impl` (your module),
 * and its `config`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ChainedMemoryRef = Schema.Struct({
  type: Schema.optional(NonEmptyString).annotations({
    description: "A builtin memory type (set exactly one of 'type' or 'impl')."
  }),
  impl: Schema.optional(NonEmptyString).annotations({
    description: "Your own memory: '<module>#<export>', the module relative to the config file or a package name."
  }),
  config: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })).annotations({
    description: "Options passed to the memory."
  })
})

/**
 * Config of the `chain` memory.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ChainMemoryConfig = Schema.Struct({
  memories: Schema.propertySignature(Schema.NonEmptyArray(ChainedMemoryRef)).annotations({
    description: "The memories, in order: each injects in this order; write-backs run in reverse."
  })
})

/**
 * Config of the `markdown_memory` memory.
 *
 * @since 0.2.0
 * @category schemas
 */
export const MarkdownMemoryConfig = Schema.Struct({
  memory_dir: Schema.optionalWith(NonEmptyString, { default: () => "~/.config/openagents/memory" }).annotations({
    description: "Folder of the markdown files (default '~/.config/openagents/memory'; relative paths are resolved against the config file)."
  }),
  max_chars_per_section: Schema.optionalWith(PositiveInt, { default: () => 2000 }).annotations({
    description: "Characters of each file injected, newest entries first (default 2000)."
  }),
  sections: Schema.optionalWith(Schema.Array(SectionName), {
    default: () => ["user_goals", "user_feedback", "decisions", "references"]
  }).annotations({
    description: "Section files injected first, in this order (default user_goals, user_feedback, decisions, references)."
  })
})

const TokenCounter = Schema.Literal("auto", "tokenizer", "estimate").annotations({
  description: "'auto', 'tokenizer' or 'estimate'"
})

const budgetFields = {
  max_input_tokens: Schema.optionalWith(PositiveInt, { default: () => 8000 }).annotations({
    description: "The model's input window in tokens (default 8000)."
  }),
  reserve_for_response: Schema.optionalWith(NonNegativeInt, { default: () => 2000 }).annotations({
    description: "Tokens left free for the answer (default 2000); the budget is max_input_tokens minus this."
  }),
  token_counter: Schema.optionalWith(TokenCounter, { default: () => "auto" as const }).annotations({
    description: "How tokens are counted: 'auto' (gpt-tokenizer for OpenAI models, chars/4 otherwise; default), " +
      "'tokenizer' (always gpt-tokenizer) or 'estimate' (always chars/4)."
  })
}

/**
 * Config of the `sliding_window` and `importance_weighted` context assemblers.
 *
 * @since 0.2.0
 * @category schemas
 */
export const TokenBudgetConfig = Schema.Struct(budgetFields)

/**
 * Config of the `head_tail` context assembler.
 *
 * @since 0.2.0
 * @category schemas
 */
export const HeadTailConfig = Schema.Struct({
  ...budgetFields,
  head_messages: Schema.optionalWith(NonNegativeInt, { default: () => 3 }).annotations({
    description: "How many of the first history messages to keep (default 3)."
  })
})

/**
 * Config of the `truncating` context assembler.
 *
 * @since 0.2.0
 * @category schemas
 */
export const TruncatingConfig = Schema.Struct({
  max_messages: Schema.optionalWith(PositiveInt, { default: () => 20 }).annotations({
    description: "How many of the newest history messages to keep (default 20)."
  }),
  include_summary_message: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Prepend 'Summary: omitted K older message(s)' when messages were dropped (default true)."
  }),
  max_input_tokens: Schema.optional(PositiveInt).annotations({
    description: "A token budget as well (none by default): the kept messages also fit max_input_tokens minus reserve_for_response."
  }),
  reserve_for_response: Schema.optionalWith(NonNegativeInt, { default: () => 2000 }).annotations({
    description: "Tokens left free for the answer when max_input_tokens is set (default 2000)."
  }),
  token_counter: budgetFields.token_counter
})

/**
 * Config of the `local` skills.
 *
 * @since 0.2.0
 * @category schemas
 */
export const LocalSkillsConfig = Schema.Struct({
  root: Schema.optional(NonEmptyString).annotations({
    description: "A folder of skills, one subfolder with a SKILL.md each (relative to the config file)."
  }),
  search_paths: Schema.optional(Schema.Array(NonEmptyString)).annotations({
    description: "Folders of skills (the Python SDK's key; default ['skills'] when 'root' is not set either)."
  }),
  enabled: Schema.optionalWith(Schema.Array(NonEmptyString), { default: () => [] }).annotations({
    description: "Names of the skills offered (default: all)."
  }),
  max_matches: Schema.optionalWith(PositiveInt, { default: () => 3 }).annotations({
    description: "How many matching skills get their full text into the system prompt (default 3)."
  }),
  min_score: Schema.optionalWith(PositiveInt, { default: () => 2 }).annotations({
    description: "Score a skill needs to match the task: 2 per word of its name, 1 per word of its description found in the input (default 2)."
  }),
  list_available: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "List every skill's name and description in the system prompt, matching or not (default true)."
  })
})
