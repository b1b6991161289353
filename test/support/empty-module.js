// Stands for a module whose work is done another way under jest (jest.config.js's moduleNameMapper).
