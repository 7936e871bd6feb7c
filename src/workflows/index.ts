// Every workflow type the tessera-chat worker runs; one workflow per file.
export { chatSession } from './chat-session';
