"""Batch indexer: corpus -> passages -> embeddings -> published FAISS generations."""
