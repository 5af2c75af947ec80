// LogicCore's room history (README "History"): the reads the comets ask for when they position a
// client in a room (goim.logic.Logic History). The store calls are logic/history_reader.cc's.
#include "logic/logic.h"

namespace goim::logic {

void LogicCore::SetHistory(std::shared_ptr<history::Store> store) {
  history_ = std::make_unique<HistoryReader>(std::move(store), cfg_.history);
}

void LogicCore::History(const goim::logic::HistoryReq& req,
                        std::function<void(Result, goim::logic::HistoryReply)> done) {
  if (!history_) return done({kServerErr, "history: not enabled (history.enabled)"}, {});
  history_->ForClient(req.roomid(), req.ask(),
                      [done = std::move(done)](Result r, history::ReadReply h) {
                        goim::logic::HistoryReply reply;
                        if (r.ok()) {
                          reply.set_epoch(std::move(h.epoch));
                          reply.set_offset(h.newest);
                          reply.set_recovered(h.recovered);
                          for (auto& m : h.messages) {
                            goim::logic::HistoryMessage* out = reply.add_messages();
                            out->set_offset(m.offset);
                            out->set_op(m.op);
                            out->set_body(std::move(m.body));
                          }
                        }
                        done(std::move(r), std::move(reply));
                      });
}

}  // namespace goim::logic
