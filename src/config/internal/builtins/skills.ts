/**
 * The builtin skills types of agent.json: one row each (description, config Schema, constructor).
 */
import * as path from "node:path"
import * as LocalSkills from "../../../skills/LocalSkills.js"
import * as Skills from "../../../skills/Skills.js"
import { LocalSkillsConfig, NoConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const skills = {
  none: builtin({
    description: "No skills.",
    config: NoConfig,
    make: () => Skills.layerNone
  }),
  local: builtin({
    description: "A folder of skills (a SKILL.md each); those matching the input go into the system prompt.",
    config: LocalSkillsConfig,
    make: (c, { dir, where }) =>
      LocalSkills.layer({
        // relative folders are resolved against the config file's folder, not the working directory
        searchPaths: [...(c.root !== undefined ? [c.root] : []), ...(c.search_paths ?? (c.root === undefined ? ["skills"] : []))]
          .map((p) => path.resolve(dir, p)),
        enabled: c.enabled,
        maxMatches: c.max_matches,
        minScore: c.min_score,
        listAvailable: c.list_available,
        where: `${where}.config`
      })
  })
} as const satisfies Table<"skills">
