export * from './engine';

export * from './outcomes';
