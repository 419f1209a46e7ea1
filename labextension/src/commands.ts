/**
 * Command ids, shared by both plugins: the interrupt plugin's notifications open the
 * indicator's dialog.
 */
export namespace CommandIDs {
  export const showDetails = 'jupyter-coi:show-details';
}
