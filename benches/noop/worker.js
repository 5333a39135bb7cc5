// The baseline of the workerd benchmark: a request that does nothing.
export default {
  async fetch() {
    return new Response("{}", { headers: { "content-type": "application/json" } });
  },
};
