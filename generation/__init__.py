"""The generation format both sides share: model identity, settings' common part, text analysis, the
vector and lexical indexes, passage and document records, and writing, verifying and opening generations."""
