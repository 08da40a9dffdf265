// Rule language: see RuleLoader.
