/** The baseline's one activity: does nothing but hand its input back. */
export const baselineActivities = {
  async noop(content: string): Promise<string> {
    return content;
  },
};

export type BaselineActivities = typeof baselineActivities;
