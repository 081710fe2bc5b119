"""Query time: analyse a question, retrieve dense and lexical candidates, fuse, highlight, judge confidence;
the query encoder's choice and fall-back, and the query vector cache."""
