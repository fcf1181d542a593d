"""budgetlm's micro language model: configs, tokenizer, chat template, training and decoding."""
