// cpu tier: the table `vqtune tune` prints (cli/tune_table.cpp): the problem column fits the
// longest key of the run, so attention rows line up with GEMV rows and the header.
#include <gtest/gtest.h>

#include "cli/tune_table.hpp"

using vqt::cli::TuneTable;

namespace {

const std::string kGemv = "gemv:m1:n4096:k4096:v8b12r2:per_tensor";
const std::string kAttention =
    "attention_decode:b16:hq32:hkv32:d128:ctx16384:v2b8r1:per_head_group:g2";

}  // namespace

TEST(TuneTable, ProblemColumnFitsTheLongestKey) {
  const TuneTable t({kGemv, kAttention});
  EXPECT_EQ(t.key_width(), kAttention.size() + 2);
  const std::string header = t.header();
  const std::string gemv = t.row(kGemv, 3, 200, 1, "25.47", "1.012", "reg=0,smem=4096");
  const std::string att = t.row(kAttention, 12, 12, 0, "839.91", "-", "reg=0,smem=256");
  // The column after the key ("timed") starts at the same offset in all three lines.
  const std::size_t col = header.find("timed");
  ASSERT_EQ(col, t.key_width());
  EXPECT_EQ(gemv.substr(col, 2), "3 ");
  EXPECT_EQ(att.substr(col, 3), "12 ");
  EXPECT_EQ(att.substr(0, kAttention.size() + 2), kAttention + "  ");
  EXPECT_EQ(header.find("winner"), gemv.find("reg=0"));
  EXPECT_EQ(header.find("winner"), att.find("reg=0"));
}

TEST(TuneTable, ShortKeysKeepTheHeaderWidth) {
  const TuneTable t({"a"});
  EXPECT_EQ(t.key_width(), std::string("problem").size() + 2);
  EXPECT_EQ(t.header().find("timed"), t.key_width());
  // A key the table was not sized for still keeps two spaces before the next column.
  const std::string r = t.row(kAttention, 1, 2, 0, "-", "-", "x");
  EXPECT_EQ(r.substr(kAttention.size(), 3), "  1");
}
